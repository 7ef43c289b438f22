import { Module } from '@nestjs/common';
import { ViewsFolder } from '@opendsp/views';
import { WebhooksPortalController } from './portal/webhooks.portal.controller.js';
import { WebhooksModule } from './webhooks.module.js';

/** The webhooks room's portal pages; loaded with the portal, in web roles only. */
@ViewsFolder(import.meta.url)
@Module({
  imports: [WebhooksModule],
  controllers: [WebhooksPortalController],
})
export class WebhooksPortalModule {}
