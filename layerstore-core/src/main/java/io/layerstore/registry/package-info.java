/**
 * The registry client: the OCI distribution protocol (Docker's registry API v2) over the JDK's HTTP
 * client, with docker's logins, credential helpers, {@code certs.d} certificates, proxies and
 * Docker Hub mirrors. {@link io.layerstore.registry.RegistryClient} opens a {@link
 * io.layerstore.registry.RepositorySession} on one repository; everything else here is how it does
 * so. Not exported: the store's pull and push are its only callers. See {@code docs/registry.md}.
 */
package io.layerstore.registry;
