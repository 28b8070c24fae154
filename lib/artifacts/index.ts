export { sha256Hex, validateArtifactKey } from './artifact-store';
export type { ArtifactHead, ArtifactStore, PutMeta, PutResult } from './artifact-store';
export { createArtifactStore } from './create-artifact-store';
export type { ArtifactStoreConfig } from './create-artifact-store';
export { FileArtifactStore } from './file-artifact-store';
export { S3ArtifactStore } from './s3-artifact-store';
export type { ConditionalPutMode, S3ArtifactStoreConfig } from './s3-artifact-store';
