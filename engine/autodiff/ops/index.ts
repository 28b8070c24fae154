import { elementwiseOps } from './elementwise';
import { indexingOps } from './indexing';
import { linalgOps } from './linalg';
import { miscOps } from './misc';
import { nnOps } from './nn';
import { reduceOps } from './reduce';
import { selectionOps } from './selection';
import { shapeOps } from './shape-ops';

/** Every op family, to be attached to Graph.prototype. */
export const allOps = { ...elementwiseOps, ...selectionOps, ...shapeOps, ...reduceOps, ...linalgOps, ...indexingOps, ...nnOps, ...miscOps };

/** The op methods as seen on a Graph. */
export type GraphOps = typeof allOps;
