"""gRPC edge: servicers, interceptors, error mapping and proto conversion (the only server code importing grpc)."""
