"""Object storage for the tests: moto's S3-compatible server on a loopback port (`moto_s3`)."""
