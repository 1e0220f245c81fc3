/**
 * What a payment provider does for Cunbo. The built-in sandbox implements it end to end;
 * Alipay (alipay.trade.wap.pay + async notify) or WeChat Pay (JSAPI/H5 order + notify) plug
 * in by implementing the same four calls and being added to `createPaymentProviders`.
 */
export interface PaymentProvider {
  readonly id: string;
  /** Creates the payment at the provider; the buyer is sent to `payUrl` to pay. */
  createPayment(input: {
    paymentId: string;
    orderId: string;
    amountFen: number;
    currency: string;
    description: string;
  }): Promise<{ providerRef: string; payUrl: string }>;
  /**
   * Verifies a notification the provider posted to `/api/v1/payments/<id>/callback` and
   * says what it reports. Throws `INVALID_SIGNATURE` for anything not signed by the provider.
   */
  verifyCallback(
    headers: Record<string, string | string[] | undefined>,
    rawBody: string,
  ): PaymentNotification;
  /** Gives the money back. */
  refund(input: {
    providerRef: string;
    amountFen: number;
    reason: string;
  }): Promise<{ refundRef: string }>;
}

export interface PaymentNotification {
  providerRef: string;
  outcome: 'succeeded' | 'failed';
  amountFen: number;
}
