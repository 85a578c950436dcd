// Starts the vendored Swagger UI on our own OpenAPI document (no inline script under our CSP).
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "/api/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: false,
    validatorUrl: null
  });
});
