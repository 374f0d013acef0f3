/**
 * Jetty 12.1 on Fibril: {@code FibrilConnector}, its end points and {@code FibrilThreadPool}.
 * An application on Jetty needs {@code requires dev.fibril.jetty;}; it reads Fibril's runtime and
 * Jetty's server API through it.
 */
module dev.fibril.jetty {
    requires transitive dev.fibril.loom;
    requires transitive org.eclipse.jetty.server;
    requires org.eclipse.jetty.http2.server;
    requires org.slf4j;

    exports dev.fibril.jetty;
}
