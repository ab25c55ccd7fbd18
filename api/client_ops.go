package api

import (
	"context"
	"net/http"
	"net/url"
)

// ResourceAction calls POST /v1/resources/ID/ACTION.
func (c *Client) ResourceAction(ctx context.Context, req ResourceRequest) (ResourceResult, error) {
	var res ResourceResult
	if !req.Action.Valid() {
		return res, Errorf(CodeBadRequest, "resource %s: unknown action %q", req.Resource, req.Action)
	}
	if err := req.Check(); err != nil {
		return res, err
	}
	p := "/v1/resources/" + url.PathEscape(req.Resource) + "/" + url.PathEscape(string(req.Action))
	err := c.do(ctx, http.MethodPost, p, req, &res)
	return res, err
}

// SetCluster calls POST /v1/cluster.
func (c *Client) SetCluster(ctx context.Context, req ClusterRequest) (ApplyResult, error) {
	var res ApplyResult
	err := c.do(ctx, http.MethodPost, "/v1/cluster", req, &res)
	return res, err
}

// Explain calls GET /v1/explain/RESOURCE.
func (c *Client) Explain(ctx context.Context, resource string) (ExplainResult, error) {
	var res ExplainResult
	if err := checkResourceID(resource); err != nil {
		return res, err
	}
	err := c.do(ctx, http.MethodGet, "/v1/explain/"+url.PathEscape(resource), nil, &res)
	return res, err
}

// Events calls GET /v1/events with q.
func (c *Client) Events(ctx context.Context, q EventQuery) (Events, error) {
	var res Events
	p := "/v1/events"
	if v := q.Values(); len(v) > 0 {
		p += "?" + v.Encode()
	}
	err := c.do(ctx, http.MethodGet, p, nil, &res)
	return res, err
}
