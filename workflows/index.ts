/** Every workflow the worker registers. */
export { subscriptionWorkflow } from './subscription-workflow';
