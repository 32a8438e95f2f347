package io.layerstore.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ChallengeTest {

  @Test
  void parsesDockerHubsBearerChallenge() {
    List<Challenge> cs =
        Challenge.parse(
            "Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
                + "scope=\"repository:library/debian:pull\"");
    assertEquals(
        List.of(
            new Challenge(
                "bearer",
                Map.of(
                    "realm", "https://auth.docker.io/token",
                    "service", "registry.docker.io",
                    "scope", "repository:library/debian:pull"))),
        cs);
  }

  @Test
  void parsesSeveralChallengesUnquotedValuesAndEscapes() {
    List<Challenge> cs =
        Challenge.parse("Basic realm=\"a \\\"q\\\" b\" , Bearer realm=http://x/t, service=s");
    assertEquals(2, cs.size());
    assertEquals("basic", cs.get(0).scheme());
    assertEquals("a \"q\" b", cs.get(0).param("realm"));
    assertEquals("http://x/t", cs.get(1).param("realm"));
    assertEquals("s", cs.get(1).param("service"));
    assertEquals("bearer", Challenge.preferred(cs).orElseThrow().scheme());
  }

  @Test
  void anUnknownSchemeIsNotAnswered() {
    assertTrue(Challenge.preferred(Challenge.parse("Negotiate abc")).isEmpty());
    assertTrue(Challenge.parse("").isEmpty());
  }
}
