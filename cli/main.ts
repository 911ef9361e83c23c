import './localDefaults.js';
import { Command } from 'commander';
import { registerCampaignCommands } from './commands/campaigns.js';
import { registerChaosCommand } from './commands/chaos.js';
import { registerCustomerCommands } from './commands/customer.js';
import { registerDeliveryCommands } from './commands/delivery.js';
import { registerExportCommands } from './commands/exportData.js';
import { registerForgetCommand, registerPruneCommand } from './commands/forget.js';
import { registerImportCommands } from './commands/importData.js';
import { registerKeyCommands } from './commands/keys.js';
import { registerLocalCommands } from './commands/local.js';
import { registerModelCommands } from './commands/model.js';
import { registerPlanCommand } from './commands/plan.js';
import { registerReportCommand } from './commands/report.js';
import { registerSeedResponsesCommand } from './commands/seedResponses.js';
import { registerSendingCommands } from './commands/sending.js';

const program = new Command();
program
  .name('retention')
  .description('retention-pipeline: nightly customer scoring and retention email, locally or on AWS')
  .showHelpAfterError();

// Command groups register themselves here, one line each.
// (registrations)
registerLocalCommands(program);
registerImportCommands(program);
registerModelCommands(program);
registerCampaignCommands(program);
registerDeliveryCommands(program);
registerPlanCommand(program);
registerExportCommands(program);
registerCustomerCommands(program);
registerSeedResponsesCommand(program);
registerKeyCommands(program);
registerForgetCommand(program);
registerPruneCommand(program);
registerSendingCommands(program);
registerChaosCommand(program);
registerReportCommand(program);

program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
