import { type Chunk, LineEncoder, RowText } from '../row-text';

/** Rows that are a COPY line given as it is. */
export class PlainLines extends LineEncoder<RowText> {
  encode(line: string): RowText {
    return this.place(line);
  }

  protected text(chunk: Chunk | null, buffer: Buffer, start: number, end: number): RowText {
    return new RowText(chunk, buffer, start, end);
  }
}
