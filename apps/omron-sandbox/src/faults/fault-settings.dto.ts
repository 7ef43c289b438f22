import { ArrayNotEmpty, IsArray, IsIn, IsInt, IsNumber, IsOptional, IsString, Matches, Max, Min } from 'class-validator';

/**
 * Faults for one endpoint (a request path such as `/stg/api/measurement`, or `*` for every path but
 * the admin API and health checks). Rates are probabilities per request, drawn from a random sequence
 * seeded with `seed`, so the same settings and requests give the same faults.
 */
export class FaultSettingsDto {
  @IsString()
  @Matches(/^(\*|\/[^\s?#]*)$/, { message: 'endpoint must be a path such as /stg/api/measurement, or *' })
  endpoint!: string;

  @IsInt()
  seed: number = 1;

  /** Share of requests answered with one of `errorStatuses`. */
  @IsOptional()
  @IsNumber()
  @Min(0)
  @Max(1)
  errorRate: number = 0;

  @IsOptional()
  @IsArray()
  @ArrayNotEmpty()
  @IsIn([500, 502, 503, 504], { each: true })
  errorStatuses: number[] = [500, 503];

  /** Share of requests that start a burst of `rateLimitBurstLength` consecutive HTTP 429 answers. */
  @IsOptional()
  @IsNumber()
  @Min(0)
  @Max(1)
  rateLimitBurstRate: number = 0;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(10_000)
  rateLimitBurstLength: number = 3;

  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(3600)
  retryAfterSeconds: number = 1;

  /** Delay added to every request, plus a random share of `latencyJitterMs`. */
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(60_000)
  latencyMs: number = 0;

  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(60_000)
  latencyJitterMs: number = 0;

  /** Share of requests whose connection is dropped without an answer. */
  @IsOptional()
  @IsNumber()
  @Min(0)
  @Max(1)
  resetRate: number = 0;

  /** Share of answers cut off halfway through the body (the connection then closes). */
  @IsOptional()
  @IsNumber()
  @Min(0)
  @Max(1)
  truncateRate: number = 0;

  /** Share of answers whose body is complete but not valid JSON. */
  @IsOptional()
  @IsNumber()
  @Min(0)
  @Max(1)
  malformedRate: number = 0;
}
