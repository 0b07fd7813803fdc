import { IsISO8601, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';

/**
 * What checkout sends us on CHECKOUT_COMPLETED / CHECKOUT_FAILED / CHECKOUT_EXPIRED.
 * Only session_id is required; unknown fields are ignored (other teams add fields freely).
 */
export class CheckoutOutcomeMessage {
  @IsString() @IsNotEmpty() @MaxLength(256) session_id!: string;
  @IsOptional() @IsString() event_id?: string;
  @IsOptional() @IsString() user_id?: string;
  @IsOptional() @IsString() order_id?: string;
  @IsOptional() @IsString() reason?: string;
  @IsOptional() @IsISO8601() timestamp?: string;
}

export class CheckoutCompletedMessage extends CheckoutOutcomeMessage {}
export class CheckoutFailedMessage extends CheckoutOutcomeMessage {}
export class CheckoutExpiredMessage extends CheckoutOutcomeMessage {}
