// esbuild bundles CSS imported from the pages' scripts into a stylesheet beside them.
declare module '*.css';
