import { IsOptional, IsString } from 'class-validator';
import { BrowserForm } from '@opendsp/i18n';

/** The dashboard's query: the group filter's form (a GET form, so other parameters are dropped) and the page of groups. */
export class DashboardQuery extends BrowserForm {
  /** A public group ID; empty or absent for every group the user sees. */
  @IsOptional()
  @IsString()
  group?: string;

  /** Keyset cursor: the name and ID of the last group of the previous page. */
  @IsOptional()
  @IsString()
  after?: string;
}
