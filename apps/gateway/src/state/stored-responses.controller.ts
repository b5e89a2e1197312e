import { Controller, Delete, Get, Headers, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { sseFrame } from '@app/providers';
import type { Response } from 'express';
import { waitForDrain } from '../http/http-io';
import { type InputItemList, type InputItemQuery, StoredResponsesService } from './stored-responses.service';
import type { Json } from './stored-response';

/** The stored-response routes; POST /v1/responses itself is served off node:http (gateway.bootstrap.ts). */
@Controller('v1/responses')
export class StoredResponsesController {
  constructor(private readonly responses: StoredResponsesService) {}

  @Get(':id')
  async retrieve(
    @Param('id') id: string,
    @Query('stream') stream: string | undefined,
    @Query('starting_after') startingAfter: string | undefined,
    @Headers('authorization') authorization: string | undefined,
    @Headers('x-bf-vk') xBfVk: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    const creds = { authorization, xBfVk };
    if (stream !== 'true') {
      res.json(await this.responses.retrieve(creds, id));
      return;
    }
    const events = await this.responses.replay(creds, id, startingAfter);
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
    // One frame at a time, waiting for the socket when it is full: memory stays one event deep.
    for (const e of events) {
      if (res.destroyed) return;
      if (!res.write(sseFrame(e.type, JSON.stringify(e.data)))) await waitForDrain(res);
    }
    res.end();
  }

  @Delete(':id')
  delete(@Param('id') id: string, @Headers('authorization') authorization: string | undefined, @Headers('x-bf-vk') xBfVk: string | undefined) {
    return this.responses.delete({ authorization, xBfVk }, id);
  }

  @Get(':id/input_items')
  inputItems(
    @Param('id') id: string,
    @Query() query: InputItemQuery,
    @Headers('authorization') authorization: string | undefined,
    @Headers('x-bf-vk') xBfVk: string | undefined,
  ): Promise<InputItemList> {
    return this.responses.inputItems({ authorization, xBfVk }, id, query);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  cancel(@Param('id') id: string, @Headers('authorization') authorization: string | undefined, @Headers('x-bf-vk') xBfVk: string | undefined): Promise<Json> {
    return this.responses.cancel({ authorization, xBfVk }, id);
  }
}
