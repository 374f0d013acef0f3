/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.spring.boot.sample;

// README:begin
import dev.fibril.Fibril;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/** An unchanged Spring Boot application; with the starter on its class path Jetty serves it through Fibril. */
@SpringBootApplication
@RestController
public class HelloApplication {
    @GetMapping("/hello")
    public String hello() {
        return "hello";
    }

    @GetMapping("/thread")
    public String thread() {
        return Fibril.isFibril() ? "fibril" : "thread";   // "fibril": the handler runs on its connection's fibril
    }

    public static void main(String[] args) {
        SpringApplication.run(HelloApplication.class, args);
    }
}
// README:end
