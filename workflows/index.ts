/** Every workflow a hone worker registers (the worker's `workflowsPath` / bundle entry). */
export { experimentWorkflow } from './experiment-workflow';
