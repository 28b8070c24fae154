import type { ArtifactStore } from './artifact-store';
import { FileArtifactStore } from './file-artifact-store';
import { S3ArtifactStore, type S3ArtifactStoreConfig } from './s3-artifact-store';

/** Which artifact backend to use and how to reach it (lib/config builds this from HONE_ARTIFACTS). */
export type ArtifactStoreConfig = { kind: 'file'; root: string } | ({ kind: 's3' } & S3ArtifactStoreConfig);

/** Creates the configured {@link ArtifactStore}. */
export function createArtifactStore(config: ArtifactStoreConfig): ArtifactStore {
  switch (config.kind) {
    case 'file':
      return new FileArtifactStore(config.root);
    case 's3':
      return new S3ArtifactStore(config);
  }
}
