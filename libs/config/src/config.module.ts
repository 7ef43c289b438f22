import { Global, Module, type DynamicModule } from '@nestjs/common';

/**
 * Makes an app's validated configuration object injectable by its class
 * (`constructor(private readonly config: DspConfig)`).
 */
@Global()
@Module({})
export class ConfigModule {
  static register<T extends object>(type: abstract new (...args: never[]) => T, value: T): DynamicModule {
    return { module: ConfigModule, providers: [{ provide: type, useValue: value }], exports: [type] };
  }
}
