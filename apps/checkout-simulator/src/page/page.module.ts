import { Module } from '@nestjs/common';
import { CheckoutModule } from '../checkout/checkout.module';
import { CheckoutPageController } from './checkout-page.controller';

@Module({ imports: [CheckoutModule], controllers: [CheckoutPageController] })
export class PageModule {}
