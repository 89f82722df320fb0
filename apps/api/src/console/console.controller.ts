import { existsSync, statSync } from 'node:fs';
import { join, normalize, resolve, sep } from 'node:path';
import { Controller, Get, Inject, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { HARBOUR_CONFIG, type HarbourConfig } from '@harbour/config';
import { Public } from '@harbour/auth';
import { DomainError } from '@harbour/errors';

/**
 * The console's static files. The console is a client of the same HTTP API partners use: it
 * gets no privileges here, and every page loads its data with the signed-in person's token.
 * Same origin, so no CORS and no tokens in URLs. The pages are public (they are the sign-in
 * screen and static code); the data behind them is not.
 */
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

function secure(res: Response): void {
  res.setHeader('Content-Security-Policy', CSP);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
}

@ApiExcludeController()
@Controller('console')
export class ConsoleController {
  private readonly dist: string;

  constructor(@Inject(HARBOUR_CONFIG) config: HarbourConfig) {
    this.dist = resolve(config.projectRoot, 'apps/console/dist');
  }

  @Get()
  @Public()
  index(@Res() res: Response): void {
    this.sendIndex(res);
  }

  /** Files under /console; any other path is a page of the single-page app (index.html). */
  @Get('*path')
  @Public()
  file(@Param('path') path: string | string[], @Res() res: Response): void {
    const rel = normalize(Array.isArray(path) ? path.join('/') : path).replace(/^([/\\])+/, '');
    const full = resolve(this.dist, rel);
    const inside = full.startsWith(this.dist + sep);
    const hidden = rel.split(/[/\\]/).some((s) => s.startsWith('.'));
    if (inside && !hidden && existsSync(full) && statSync(full).isFile()) {
      secure(res);
      // Vite names assets by content hash: they never change under a name.
      res.setHeader('Cache-Control', rel.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
      res.sendFile(full, { dotfiles: 'deny' });
      return;
    }
    // A missing hashed asset is a real 404 (an old tab after a deploy), not a page.
    if (rel.startsWith('assets/') || /\.(js|css|map|png|svg|ico|woff2?)$/.test(rel))
      throw new DomainError('not_found', 'console file not found');
    this.sendIndex(res);
  }

  private sendIndex(res: Response): void {
    const index = join(this.dist, 'index.html');
    secure(res);
    res.setHeader('Cache-Control', 'no-cache');
    if (!existsSync(index)) {
      res
        .status(503)
        .type('html')
        .send(
          '<!doctype html><html lang="en-GB"><meta charset="utf-8"><title>Harbour console not built</title>' +
            '<h1>The console has not been built</h1><p>Run <code>npm run build:console</code> (it also runs on <code>npm install</code> and <code>npm start</code>). The API itself works: see <a href="/docs">/docs</a>.</p></html>',
        );
      return;
    }
    res.sendFile(index);
  }
}
