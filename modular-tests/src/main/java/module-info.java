/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
/** An application as a user would write it: one requires for Fibril on Jetty. */
module dev.fibril.it.modular {
    requires dev.fibril.jetty;
    requires java.net.http;
}
