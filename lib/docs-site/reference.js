// Renders the OpenAPI document of this gateway with Redoc (its standalone bundle, loaded just
// before this script from this gateway). Loaded as a file, not inline: the page's CSP runs no
// inline script. System fonts only: nothing is fetched from another origin.
/* global Redoc */
const fonts = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';
Redoc.init(
  '/api/openapi.json',
  {
    scrollYOffset: '.docs-bar',
    expandResponses: '200,201',
    requiredPropsFirst: true,
    jsonSampleExpandLevel: 3,
    theme: {
      colors: { primary: { main: '#1f4fd1' } },
      typography: { fontFamily: fonts, headings: { fontFamily: fonts }, code: { fontFamily: 'ui-monospace, Menlo, Consolas, monospace' } },
    },
  },
  document.getElementById('redoc'),
);
