import { Controller, Delete, Get, HttpCode, Param, Post, Query, Res, UseGuards } from '@nestjs/common';
// Not `Response`: decorator metadata would read that global, which loads Node's fetch.
import type { Response as ExpressResponse } from 'express';
import { sseFrame } from '@app/providers';
import type { CachedKey } from '../auth/virtual-key-cache.service';
import { CurrentKey } from '../edge/current-key.decorator';
import { waitForDrain } from '../edge/http-io';
import { KeyGuard } from '../edge/key.guard';
import { type InputItemList, type InputItemQuery, StoredResponsesService } from './stored-responses.service';
import type { Json } from './stored-response';

/** The stored-response routes; POST /v1/responses itself is served off node:http (gateway.bootstrap.ts). */
@Controller('v1/responses')
@UseGuards(KeyGuard)
export class StoredResponsesController {
  constructor(private readonly responses: StoredResponsesService) {}

  @Get(':id')
  async retrieve(
    @Param('id') id: string,
    @Query('stream') stream: string | undefined,
    @Query('starting_after') startingAfter: string | undefined,
    @CurrentKey() key: CachedKey,
    @Res() res: ExpressResponse,
  ): Promise<void> {
    if (stream !== 'true') {
      res.json(await this.responses.retrieve(key.id, id));
      return;
    }
    const events = await this.responses.replay(key.id, id, startingAfter);
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
    // One frame at a time, waiting for the socket when it is full: memory stays one event deep.
    for (const e of events) {
      if (res.destroyed) return;
      if (!res.write(sseFrame(e.type, JSON.stringify(e.data)))) await waitForDrain(res);
    }
    res.end();
  }

  @Delete(':id')
  delete(@Param('id') id: string, @CurrentKey() key: CachedKey) {
    return this.responses.delete(key.id, id);
  }

  @Get(':id/input_items')
  inputItems(@Param('id') id: string, @Query() query: InputItemQuery, @CurrentKey() key: CachedKey): Promise<InputItemList> {
    return this.responses.inputItems(key.id, id, query);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  cancel(@Param('id') id: string, @CurrentKey() key: CachedKey): Promise<Json> {
    return this.responses.cancel(key.id, id);
  }
}
