package io.layerstore.trust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerstore.InvalidReferenceException;
import io.layerstore.LayerStoreException;
import io.layerstore.Reference;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** containers-policy.json(5): scopes, requirements, signed identities, and what is refused. */
class PolicyTest {

  private static final Path FILE = Path.of("/etc/containers/policy.json");

  private static Policy parse(String json) throws LayerStoreException {
    return Policy.parse(json.getBytes(StandardCharsets.UTF_8), FILE);
  }

  @Test
  void theMostSpecificDockerScopeApplies() throws Exception {
    Policy p =
        parse(
            """
            {"default": [{"type": "reject"}],
             "transports": {
               "docker": {
                 "registry.example.com:5000/team/app:1": [{"type": "insecureAcceptAnything"}],
                 "registry.example.com:5000/team": [{"type": "signedBy", "keyType": "GPGKeys", "keyPath": "k.gpg"}],
                 "registry.example.com:5000": [{"type": "reject"}],
                 "*.example.com": [{"type": "sigstoreSigned", "keyPath": "/k.pub"}],
                 "docker.io/library/busybox": [{"type": "insecureAcceptAnything"}],
                 "": [{"type": "reject"}]
               },
               "dir": {"": [{"type": "insecureAcceptAnything"}]}
             }}
            """);
    assertScope(
        p,
        "registry.example.com:5000/team/app:1",
        "registry.example.com:5000/team/app:1",
        Requirement.AcceptAnything.class);
    assertScope(
        p,
        "registry.example.com:5000/team/app:2",
        "registry.example.com:5000/team",
        Requirement.SignedBy.class);
    assertScope(
        p,
        "registry.example.com:5000/other/x",
        "registry.example.com:5000",
        Requirement.Reject.class);
    assertScope(p, "mirror.example.com/x/y", "*.example.com", Requirement.SigstoreSigned.class);
    assertScope(p, "busybox", "docker.io/library/busybox", Requirement.AcceptAnything.class);
    assertScope(p, "quay.io/x", "", Requirement.Reject.class);
    // A relative keyPath is read beside the policy file.
    Requirement.SignedBy signedBy =
        (Requirement.SignedBy)
            p.forDocker(Reference.parse("registry.example.com:5000/team/b:1"))
                .requirements()
                .get(0);
    assertEquals(Path.of("/etc/containers/k.gpg"), signedBy.keys().get(0).path());
    assertEquals(IdentityRule.DEFAULT, signedBy.identity());

    Policy onlyDefault = parse("{\"default\": [{\"type\": \"insecureAcceptAnything\"}]}");
    assertEquals("default", onlyDefault.forDocker(Reference.parse("x")).scope());
  }

  private static void assertScope(Policy p, String ref, String scope, Class<?> type)
      throws InvalidReferenceException {
    Policy.Applicable a = p.forDocker(DockerNames.intended(Reference.parse(ref)));
    assertEquals("transports.docker[\"" + scope + "\"]", a.scope(), ref);
    assertInstanceOf(type, a.requirements().get(0), ref);
  }

  @Test
  void namespacesAreContainersImages() throws Exception {
    assertEquals(
        List.of("example.com:5000/ns/repo", "example.com:5000/ns", "example.com:5000", "*.com"),
        DockerNames.namespaces(Reference.parse("example.com:5000/ns/repo:tag")));
    assertEquals(
        List.of("docker.io/library/busybox", "docker.io/library", "docker.io", "*.io"),
        DockerNames.namespaces(Reference.parse("busybox")));
    assertEquals(
        "docker.io/library/busybox:latest", DockerNames.identity(Reference.parse("busybox")));
  }

  @ParameterizedTest(name = "{0} {1} signed {2}: {3}")
  @CsvSource({
    // rule, intended image, signed identity, accepted
    "matchExact, example.com/a:1, example.com/a:1, true",
    "matchExact, example.com/a:1, example.com/a:2, false",
    "matchExact, example.com/a:1, example.com/a, false",
    "matchExact, example.com/a@sha256:634a8f35b5f16dcf4aaa0822adc0b1964bb786fca12f6831de8ddc45e5986a00, example.com/a:1, false",
    "matchRepoDigestOrExact, example.com/a:1, example.com/a:1, true",
    "matchRepoDigestOrExact, example.com/a:1, example.com/a:2, false",
    "matchRepoDigestOrExact, example.com/a@sha256:634a8f35b5f16dcf4aaa0822adc0b1964bb786fca12f6831de8ddc45e5986a00, example.com/a:anything, true",
    "matchRepoDigestOrExact, example.com/a@sha256:634a8f35b5f16dcf4aaa0822adc0b1964bb786fca12f6831de8ddc45e5986a00, example.com/b:1, false",
    "matchRepoDigestOrExact, busybox:latest, docker.io/library/busybox:latest, true",
    "matchRepository, example.com/a:1, example.com/a:2, true",
    "matchRepository, example.com/a:1, example.com/b:1, false",
    "exactReference, example.com/other:1, example.com/signed:1, true",
    "exactReference, example.com/signed:1, example.com/signed:2, false",
    "exactRepository, example.com/other:1, example.com/signed:7, true",
    "exactRepository, example.com/other:1, example.com/else:7, false",
    "remapIdentity, mirror.local/ns/a:1, example.com/ns/a:1, true",
    "remapIdentity, mirror.local/ns/a:1, mirror.local/ns/a:1, false",
    "remapIdentity, mirror.local/nsx/a:1, mirror.local/nsx/a:1, true",
    "remapIdentity, mirror.local/ns/a:1, example.com/ns/a:2, false",
  })
  void signedIdentities(String rule, String intended, String signed, boolean accepted)
      throws Exception {
    String fields =
        switch (rule) {
          case "exactReference" -> ",\"dockerReference\":\"example.com/signed:1\"";
          case "exactRepository" -> ",\"dockerRepository\":\"example.com/signed\"";
          case "remapIdentity" ->
              ",\"prefix\":\"mirror.local/ns\",\"signedPrefix\":\"example.com/ns\"";
          default -> "";
        };
    Policy p =
        parse(
            "{\"default\":[{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\",\"keyData\":\"AA==\","
                + "\"signedIdentity\":{\"type\":\""
                + rule
                + "\""
                + fields
                + "}}]}");
    IdentityRule r =
        ((Requirement.SignedBy) p.forDocker(Reference.parse("x:1")).requirements().get(0))
            .identity();
    assertEquals(
        accepted,
        r.matches(DockerNames.intended(Reference.parse(intended)), Reference.parse(signed)),
        r.describe());
  }

  @ParameterizedTest(name = "{1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "{} | missing field \"default\"",
        "{\"default\":[]} | empty list of requirements",
        "{\"default\":[{\"type\":\"reject\",\"x\":1}]} | unknown field \"x\"",
        "{\"default\":[{\"type\":\"magic\"}]} | unknown requirement type \"magic\"",
        "{\"default\":[{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\"}]} | exactly one of keyPath",
        "{\"default\":[{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\",\"keyPath\":\"a\",\"keyData\":\"AA==\"}]} | exactly one of keyPath",
        "{\"default\":[{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\",\"keyPath\":\"a\",\"signedIdentity\":{\"type\":\"exactReference\",\"dockerReference\":\"a/b\"}}]} | neither a tag nor a digest",
        "{\"default\":[{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\",\"keyPath\":\"a\",\"signedIdentity\":{\"type\":\"remapIdentity\",\"prefix\":\"a/b:1\",\"signedPrefix\":\"c\"}}]} | not a host[:port] or repository namespace",
        "{\"default\":[{\"type\":\"reject\"}],\"transports\":{\"docker\":{\"*.a/b\":[{\"type\":\"reject\"}]}}} | a wildcard scope is *.domain",
        "{\"default\":[{\"type\":\"reject\"}],\"default\":[{\"type\":\"reject\"}]} | not valid JSON",
        "{\"default\":[{\"type\":\"reject\"}]} trailing | not valid JSON",
      })
  void malformedPoliciesNameTheProblem(String json, String message) {
    LayerStoreException e = assertThrows(LayerStoreException.class, () -> parse(json));
    assertTrue(e.getMessage().contains(message), e.getMessage());
    assertTrue(e.getMessage().startsWith("policy " + FILE), e.getMessage());
  }

  @Test
  void unsupportedRequirementsRefuseAtCheckTime() throws Exception {
    Policy p =
        parse(
            "{\"default\":[{\"type\":\"signedBy\",\"keyType\":\"X509Certificates\",\"keyPath\":\"a\"}],"
                + "\"transports\":{\"docker\":{\"a.example\":[{\"type\":\"sigstoreSigned\",\"keyPath\":\"/k\",\"rekorPublicKeyPath\":\"/r\"}]}}}");
    Requirement r = p.forDocker(Reference.parse("x:1")).requirements().get(0);
    Refusal refusal = assertThrows(Refusal.class, () -> r.check(null));
    assertTrue(
        refusal.getMessage().contains("keyType X509Certificates is not supported"),
        refusal.getMessage());
    Requirement rekor = p.forDocker(Reference.parse("a.example/x:1")).requirements().get(0);
    assertFalse(rekor instanceof Requirement.SigstoreSigned);
    assertTrue(
        assertThrows(Refusal.class, () -> rekor.check(null))
            .getMessage()
            .contains("rekorPublicKeyPath"));
  }
}
