import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Controller, Get, Module, Render } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { configureViews } from './configure-views.helpers.js';
import { declaredViewsFolders, ViewsFolder } from './views-folder.decorator.js';

describe(ViewsFolder.name, () => {
  let root: string;
  const apps: NestExpressApplication[] = [];

  /** Writes files under the temporary folder, creating their folders. */
  async function files(entries: Record<string, string>): Promise<void> {
    for (const [path, text] of Object.entries(entries)) {
      await mkdir(dirname(join(root, path)), { recursive: true });
      await writeFile(join(root, path), text);
    }
  }

  async function appOf(module: new () => unknown): Promise<NestExpressApplication> {
    const app = await NestFactory.create<NestExpressApplication>(module, { logger: false, abortOnError: false });
    apps.push(app);
    return app;
  }

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'views-folder-'));
  });
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
    await rm(root, { recursive: true, force: true });
  });

  it("renders a room's page from the views folder beside its module, in the app's layout, with the room's partials", async () => {
    await files({
      'app/views/layouts/main.hbs': '<main>{{{body}}}</main>',
      'app/views/partials/footer.hbs': '<footer>app</footer>',
      'room/views/room/page.hbs': '{{> room-panel}}{{> footer}}',
      'room/views/partials/room-panel.hbs': '<p>{{name}}</p>',
    });
    @Controller()
    class RoomController {
      @Get()
      @Render('room/page')
      page(): object {
        return { name: 'panel of the room' };
      }
    }
    @ViewsFolder(pathToFileURL(join(root, 'room', 'room.module.js')).href)
    @Module({ controllers: [RoomController] })
    class RoomModule {}
    @Module({ imports: [RoomModule] })
    class AppModule {}

    const app = await appOf(AppModule);
    expect(declaredViewsFolders(app)).toEqual([join(root, 'room', 'views')]);
    await configureViews(app, { views: [join(root, 'app', 'views'), ...declaredViewsFolders(app)], public: join(root, 'app') });
    await app.init();
    const page = await request(app.getHttpServer()).get('/');
    expect(page.text).toBe('<main><p>panel of the room</p><footer>app</footer></main>');
  });

  it('refuses two folders that hold the same view name, which would shadow one another', async () => {
    await files({ 'app/views/groups/list.hbs': 'app', 'room/views/groups/list.hbs': 'room', 'room/views/groups/form.hbs': 'form' });
    @Module({})
    class AppModule {}
    const app = await appOf(AppModule);
    await expect(configureViews(app, { views: [join(root, 'app', 'views'), join(root, 'room', 'views')], public: root })).rejects.toThrow(
      `The view groups/list.hbs is in both ${join(root, 'app', 'views')} and ${join(root, 'room', 'views')}`,
    );
  });
});
