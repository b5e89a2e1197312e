import { Controller, Get, Headers } from '@nestjs/common';
import { ModelsService, type ModelList } from './models.service';

@Controller('v1/models')
export class ModelsController {
  constructor(private readonly models: ModelsService) {}

  @Get()
  list(@Headers('authorization') authorization: string | undefined, @Headers('x-bf-vk') xBfVk: string | undefined): ModelList {
    return this.models.listFor(authorization, xBfVk);
  }
}
