import { Controller, Get, UseGuards } from '@nestjs/common';
import type { CachedKey } from '../auth/virtual-key-cache.service';
import { CurrentKey } from '../edge/current-key.decorator';
import { KeyGuard } from '../edge/key.guard';
import { ModelsService, type ModelList } from './models.service';

@Controller('v1/models')
@UseGuards(KeyGuard)
export class ModelsController {
  constructor(private readonly models: ModelsService) {}

  @Get()
  list(@CurrentKey() key: CachedKey): ModelList {
    return this.models.listFor(key);
  }
}
