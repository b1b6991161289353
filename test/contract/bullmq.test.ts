import { queueDriverContract } from './queue-driver.contract';

queueDriverContract('bullmq');
