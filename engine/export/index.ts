export { HF_FOLDER_FILES, exportHfFolder } from './export-hf';
export type { ExportOptions } from './export-hf';
export { UnsupportedModelFolderError, importHfFolder } from './import-hf';
