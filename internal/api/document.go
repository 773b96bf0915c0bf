package api

import (
	_ "embed"
	"net/http"
)

// Document is the OpenAPI 3 description of the API, served as it is at
// /api/v1/openapi.json. It is kept by hand; TestDocumentMatchesRoutes holds
// it and routes() to each other.
//
//go:embed openapi.json
var Document []byte

func serveDocument(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(Document)
}
