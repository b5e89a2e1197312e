import { ApiProperty } from '@nestjs/swagger';

/** Swagger's view of the one error shape every admin route returns (see AdminExceptionFilter). */
export class ErrorDetailDto {
  @ApiProperty({ description: 'What went wrong, for humans.', example: 'budget.max_usd must be a positive number' })
  message: string;

  @ApiProperty({
    description: 'Error family.',
    example: 'invalid_request_error',
    enum: ['invalid_request_error', 'authentication_error', 'server_error'],
  })
  type: string;

  @ApiProperty({
    description: 'The first offending field, dotted for nested fields; null when no single field is at fault.',
    type: String,
    nullable: true,
    example: 'budget.max_usd',
  })
  param: string | null;

  @ApiProperty({
    description: 'Stable machine-readable code.',
    example: 'invalid_request',
    enum: ['invalid_request', 'unauthorized', 'not_found', 'virtual_key_revoked', 'payload_too_large', 'internal_error'],
  })
  code: string;
}

export class ErrorBodyDto {
  @ApiProperty({ type: () => ErrorDetailDto })
  error: ErrorDetailDto;
}
