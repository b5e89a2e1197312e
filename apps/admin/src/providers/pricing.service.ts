import { Inject, Injectable } from '@nestjs/common';
import { PRICES_CHECKED_AT, PriceBook } from '@app/pricing';
import type { PricingListDto } from './pricing.dto';

export const PRICE_BOOK = Symbol('PRICE_BOOK');

@Injectable()
export class PricingService {
  private readonly listing: PricingListDto;

  constructor(@Inject(PRICE_BOOK) book: PriceBook) {
    // The book is immutable: list it once.
    this.listing = { data: book.list(), checked_at: PRICES_CHECKED_AT };
  }

  list(): PricingListDto {
    return this.listing;
  }
}
