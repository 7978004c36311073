export { runCheck, EXPECTED_CONFIG_VARS, type CheckOptions, type CheckResult } from './check';
export { main } from './cli';
export { parseDriverArgs, UsageError, USAGE, type DriverOptions, type Credentials } from './options';
export { ServiceClient } from './service';
export { StandIn, standInLogs } from './heroku';
export { herokuLogLine } from './commands';
export { resourceToken, userScopedToken, ssoForm } from './tokens';
