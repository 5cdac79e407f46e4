/** The hosted checkout page's browser code and style, bundled by esbuild into two strings. */
export interface CheckoutAssets {
  script: string;
  style: string;
}

/** Set at bundle time in AWS (esbuild `define`); absent when the source runs directly (local gateway). */
declare const __PAYGATE_CHECKOUT_ASSETS__: CheckoutAssets | undefined;

export function bundledCheckoutAssets(): CheckoutAssets | null {
  return typeof __PAYGATE_CHECKOUT_ASSETS__ === 'undefined' ? null : __PAYGATE_CHECKOUT_ASSETS__;
}
