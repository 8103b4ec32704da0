/** Injection token of the products' CachedRepository. */
export const PRODUCTS = Symbol('PRODUCTS');
