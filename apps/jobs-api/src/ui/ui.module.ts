import { Module } from '@nestjs/common';
import { PageController } from './page.controller.js';

/** The page at `/` (its static assets are registered by `servePageAssets` in `configureApp`). */
@Module({ controllers: [PageController] })
export class UiModule {}
