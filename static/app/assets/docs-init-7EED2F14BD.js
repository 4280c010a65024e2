// Renders /api/docs with swagger-ui (served by SynCode itself, no CDN).
/* global SwaggerUIBundle */
const root = document.getElementById('swagger-ui')
window.ui = SwaggerUIBundle({
  url: root.dataset.url,
  domNode: root,
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis],
  layout: 'BaseLayout',
  persistAuthorization: true,
  tryItOutEnabled: false,
})
