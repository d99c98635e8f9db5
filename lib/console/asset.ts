// One file of the web console as the api function serves it under /ui/ (console/build.ts makes them).
export interface ConsoleAsset {
  /** The file name under /ui/: `index.html`, or a name with its content hash (`app.1a2b3c4d5e.js`). */
  name: string;
  contentType: string;
  /** The file's text (every console file is text: HTML, JS, CSS, SVG). */
  body: string;
  /** Named by its content's hash, so it may be cached for good; index.html is not. */
  immutable: boolean;
  /** A strong validator of the body, for If-None-Match. */
  etag: string;
}
