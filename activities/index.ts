/** The experiment workflow's activities: `createActivities(deps)` and the types the workflow imports. */
export { createActivities } from './create-activities';
export { DEFAULT_ACTIVITIES_CONFIG, type ActivitiesConfig, type ActivityDeps, type ActivityLogger } from './activity-deps';
export type * from './experiment-activity-types';
export type * from './experiment-engine';
export { toActivityFailure, permanentFailure } from './activity-failure';
export { trainingKeys, type TrainingHeartbeat } from './resumable-training';
