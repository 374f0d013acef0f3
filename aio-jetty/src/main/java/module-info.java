/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
/**
 * Jetty 12.1 on Fibril: {@code FibrilConnector}, its end points and {@code FibrilThreadPool}.
 * An application on Jetty needs {@code requires dev.fibril.jetty;}; it reads Fibril's runtime and
 * Jetty's server API through it.
 */
module dev.fibril.jetty {
    requires transitive dev.fibril.loom;
    requires transitive org.eclipse.jetty.server;
    // Not used here: the artifact brings Jetty's h2c server so that a FibrilConnector serves
    // HTTP/2 as the README shows, and an application reads it through this module.
    requires transitive org.eclipse.jetty.http2.server;
    requires org.slf4j;

    exports dev.fibril.jetty;
}
