/** Injection token of the articles' CachedRepository. */
export const ARTICLES = Symbol('ARTICLES');

/** The tag every cached article list carries: any article write invalidates it. */
export const ARTICLE_LISTS = 'article-lists';
