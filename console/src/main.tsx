// The console's entry point: replaces the page's "Loading" line with the app (index.html loads this file, deferred).
import { render } from 'preact';
import { App } from './app';

const root = document.getElementById('app')!;
root.textContent = '';
render(<App />, root);
