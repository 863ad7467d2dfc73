"""The FastAPI application: ERP routes, schemas, error mapping and the review-queue pages."""
