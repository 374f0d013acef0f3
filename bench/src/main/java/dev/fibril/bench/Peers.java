/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.Properties;

/**
 * What the HTTP comparison's peers (other servers than Jetty, each in its own JVM) share: their
 * announce line, their class path, the listen backlog. Uses no peer's classes, so the bench's own
 * JVM can load it.
 */
final class Peers {
    /** The first line a peer prints: its base URL, then {@code key=value} words. */
    static final String ANNOUNCE = "Fibril bench peer:";
    /** The listen backlog of every server in the comparison (the FibrilConnector's default). */
    static final int BACKLOG = 1024;

    private Peers() {
    }

    static String announce(int port, String words) {
        return ANNOUNCE + " http://127.0.0.1:" + port + "/ " + words;
    }

    /**
     * The class path Maven wrote for the peer {@code name} (resource {@code peers/NAME.classpath}:
     * the peer's jars in the local repository), to go before the bench's own.
     *
     * @throws IllegalStateException if the bench was built without it
     */
    static String classpath(String name) {
        String resource = "peers/" + name + ".classpath";
        try (InputStream in = Peers.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("no " + resource + " in the bench's class path: build the bench with Maven (./fibril bench does)");
            }
            String cp = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
            if (cp.isEmpty()) {
                throw new IllegalStateException(resource + " is empty: the bench's pom names no jar for " + name);
            }
            return cp;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + resource, e);
        }
    }

    /** The version in a jar's Maven metadata on the class path, or "?" when it has none. */
    static String mavenVersion(String group, String artifact) {
        String resource = "META-INF/maven/" + group + "/" + artifact + "/pom.properties";
        try (InputStream in = Peers.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                return "?";
            }
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version", "?");
        } catch (IOException e) {
            return "?";
        }
    }

    /** A port free on 127.0.0.1 right now. */
    static int freeLoopbackPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** {@code text} as one announce word: blanks become underscores. */
    static String oneWord(String text) {
        return text.strip().replaceAll("\\s+", "_");
    }
}
