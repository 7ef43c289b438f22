import {
  Body,
  Catch,
  Controller,
  Get,
  HttpException,
  NotFoundException,
  Param,
  Patch,
  Post,
  UploadedFile,
  UseFilters,
  UseGuards,
  UseInterceptors,
  UsePipes,
  ValidationPipe,
  type ArgumentsHost,
  type ExceptionFilter,
} from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import type { Response } from 'express';
import { IsArray } from 'class-validator';
import { UnknownSandboxUserError } from '../measurements/index.js';
import { SandboxAdminGuard } from '../registered-apps/index.js';
import { CreateTestUserDto, GenerateReadingsDto, PreferencesDto } from './dto/staging-tool.dto.js';
import { ReadingUploadError } from './reading-upload.js';
import { EmailTakenError, StagingToolInputError, StagingToolService } from './staging-tool.service.js';

export class UploadReadingsDto {
  /** Device-style readings: `{type, dateTime, utcOffsetSeconds?, deviceType?, …values in metric units}`. */
  @IsArray()
  readings!: unknown[];
}

/** Maps the staging tool's input errors to 400/404/409 answers with the problems listed. */
@Catch(StagingToolInputError, ReadingUploadError, UnknownSandboxUserError)
class StagingToolAdminFilter implements ExceptionFilter {
  catch(error: Error, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    if (error instanceof UnknownSandboxUserError) {
      response.status(404).json({ statusCode: 404, error: 'Not Found', message: error.message });
    } else if (error instanceof EmailTakenError) {
      response.status(409).json({ statusCode: 409, error: 'Conflict', message: error.message, field: error.field });
    } else if (error instanceof StagingToolInputError) {
      response.status(400).json({ statusCode: 400, error: 'Bad Request', message: error.message, field: error.field });
    } else {
      response
        .status(400)
        .json({ statusCode: 400, error: 'Bad Request', message: 'Invalid readings', problems: (error as ReadingUploadError).problems });
    }
  }
}

/**
 * The staging tool as a JSON admin API, for tests and benchmarks: create test users, set their
 * preferences, and load readings (generated, device-style JSON, or the Excel template) through the
 * same ingestion path as a device upload. Generation takes up to a million readings per call.
 */
@Controller('admin/users')
@UseGuards(SandboxAdminGuard)
@UseFilters(StagingToolAdminFilter)
@UsePipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }))
export class StagingToolAdminController {
  constructor(private readonly tool: StagingToolService) {}

  @Post()
  create(@Body() body: CreateTestUserDto) {
    return this.tool.signUp(body);
  }

  @Get(':userId')
  async get(@Param('userId') userId: string) {
    await this.existing(userId);
    return this.tool.view(userId);
  }

  @Patch(':userId/preferences')
  async preferences(@Param('userId') userId: string, @Body() body: PreferencesDto) {
    await this.existing(userId);
    return this.tool.updatePreferences(userId, body);
  }

  @Post(':userId/readings')
  async upload(@Param('userId') userId: string, @Body() body: UploadReadingsDto) {
    await this.existing(userId);
    return this.tool.upload(userId, body.readings);
  }

  @Post(':userId/readings/generate')
  async generate(@Param('userId') userId: string, @Body() body: GenerateReadingsDto) {
    await this.existing(userId);
    return this.tool.generate(userId, body);
  }

  /** Multipart upload of a filled-in template, field `file`. */
  @Post(':userId/readings/spreadsheet')
  @UseInterceptors(FileInterceptor('file', { limits: { fileSize: 10 * 1024 * 1024, files: 1 } }))
  async spreadsheet(@Param('userId') userId: string, @UploadedFile() file: { buffer: Buffer } | undefined) {
    await this.existing(userId);
    if (!file) throw new HttpException({ statusCode: 400, message: 'Send the workbook as multipart field "file"' }, 400);
    return this.tool.uploadSpreadsheet(userId, file.buffer);
  }

  private async existing(userId: string): Promise<void> {
    if (!(await this.tool.findUser(userId))) throw new NotFoundException(`No sandbox user ${userId}`);
  }
}
