import { Module } from '@nestjs/common';
import { RequestLogController } from './request-log.controller';
import { REQUEST_LOG_REPOSITORY, TypeOrmRequestLogRepository } from './request-log.repository';
import { RequestLogService } from './request-log.service';

@Module({
  controllers: [RequestLogController],
  providers: [RequestLogService, { provide: REQUEST_LOG_REPOSITORY, useClass: TypeOrmRequestLogRepository }],
})
export class RequestLogModule {}
