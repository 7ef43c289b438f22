import { fileURLToPath } from 'node:url';
import { SetMetadata, type INestApplicationContext } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';

const VIEWS_FOLDER = 'opendsp:views-folder';

/**
 * Declares that a module's controllers render templates from the `views/` folder beside the module's file
 * (`moduleFileUrl` is that file's `import.meta.url`). The app adds the folder to its view roots and its
 * `partials/` to its partials, so a room ships its pages beside its controllers. Templates keep their
 * path under the folder as their name (`views/groups/list.hbs` renders as `groups/list`).
 */
export const ViewsFolder = (moduleFileUrl: string): ClassDecorator =>
  SetMetadata(VIEWS_FOLDER, fileURLToPath(new URL('./views', moduleFileUrl)));

/** The views folders declared with `@ViewsFolder` by the app's modules, each once. */
export function declaredViewsFolders(app: INestApplicationContext): string[] {
  const folders = [...app.get(ModulesContainer).values()].map(
    (module) => Reflect.getMetadata(VIEWS_FOLDER, module.metatype) as string | undefined,
  );
  return [...new Set(folders.filter((folder) => folder !== undefined))];
}
