import { queueDriverContract } from './queue-driver.contract';

// Against fauxqs, started for the run by test/support/global-setup.ts.
queueDriverContract('sqs');
