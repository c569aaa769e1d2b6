// esbuild bundles CSS imported from the pages' scripts into a stylesheet beside them.
declare module '*.css';
// The committed schema (schema/schema.graphql), bundled as text for GraphiQL.
declare module '*.graphql' {
  const sdl: string;
  export default sdl;
}
