"""`make bench`: measure one copy, many copies, cold start and package size on the local cloud."""
